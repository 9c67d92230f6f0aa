// Exercises the AssemblyScript host functions: trace, seed (through
// Math.random) and abort (through a failed assertion).

export function traced(n: i32): i32 {
  trace("traced", 2, <f64>n, 0.5);
  trace("no args");
  return n * 2;
}

export function random(): f64 {
  return Math.random();
}

export function check(ok: bool): i32 {
  assert(ok, "check failed: ok was false");
  return 1;
}
