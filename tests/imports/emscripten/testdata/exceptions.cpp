// C++ exceptions lowered through invoke_* (Emscripten's JavaScript exception
// runtime, -fexceptions / DISABLE_EXCEPTION_CATCHING=0): throws caught
// several frames up, rethrow, catch by base class and by pointer, catch(...),
// destructors run while unwinding, and (argument "uncaught") an exception
// nothing catches.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>

static int destroyed = 0;
static int depth_reached = 0;

struct Guard {
  int id;
  explicit Guard(int i) : id(i) {}
  ~Guard() { destroyed += id; }
};

struct Base {
  int code;
  explicit Base(int c) : code(c) {}
  virtual ~Base() {}
  virtual const char *name() const { return "Base"; }
};

struct Derived : Base {
  explicit Derived(int c) : Base(c) {}
  const char *name() const override { return "Derived"; }
};

struct Other {};

__attribute__((noinline)) int dive(int n, int code) {
  Guard g(n);
  depth_reached = n > depth_reached ? n : depth_reached;
  if (n == 0) {
    if (code < 0) throw Other();
    if (code % 2) throw Derived(code);
    throw std::runtime_error("even");
  }
  return dive(n - 1, code) + 1;
}

__attribute__((noinline)) int by_base(int code) {
  try {
    return dive(5, code);
  } catch (const Base &b) {
    return b.code * 100 + (std::strcmp(b.name(), "Derived") == 0);
  } catch (const std::exception &e) {
    return -(int)std::strlen(e.what());
  }
}

__attribute__((noinline)) int rethrower(int code) {
  Guard g(1000);
  try {
    dive(3, code);
  } catch (const Derived &) {
    throw;  // rethrow the same object
  }
  return 0;
}

__attribute__((noinline)) int catch_all(int code) {
  try {
    dive(2, code);
  } catch (...) {
    return 7;
  }
  return 0;
}

__attribute__((noinline)) int by_pointer(int code) {
  try {
    throw new Derived(code);
  } catch (Base *p) {
    int c = p->code;
    delete p;
    return c;
  }
}

__attribute__((noinline)) int nested(int code) {
  try {
    try {
      dive(4, code);
    } catch (const Derived &d) {
      throw std::logic_error("converted");
    }
  } catch (const std::logic_error &e) {
    return std::uncaught_exceptions() == 0 ? 11 : -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 1;
  if (argc > 1 && std::strcmp(argv[1], "uncaught") == 0) {
    std::printf("about to throw\n");
    std::fflush(stdout);
    dive(3, 9);
    std::printf("not reached\n");
    return 0;
  }
  long total = 0;
  int rethrown = 0;
  for (int i = 0; i < rounds; i++) {
    total += by_base(3);   // Derived(3) caught as Base: 301 (+1 from dive? no: thrown)
    total += by_base(4);   // runtime_error("even") as std::exception: -4
    try {
      rethrower(5);
    } catch (const Base &b) {
      rethrown += b.code;
    }
    total += catch_all(-1);
    total += by_pointer(6);
    total += nested(7);
  }
  std::printf("total %ld rethrown %d destroyed %d depth %d uncaught %d\n", total, rethrown,
              destroyed, depth_reached, std::uncaught_exceptions());
  return 0;
}
