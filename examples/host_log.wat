;; Host functions: the guest calls an imported `log(ptr, len)` that reads a
;; string from guest memory.
(module $greeter
  (import "env" "log" (func $log (param $ptr i32) (param $len i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wasm")
  (func (export "greet")
    i32.const 16
    i32.const 15
    call $log))
