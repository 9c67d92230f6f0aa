;; The basic example: an exported `add`.
(module $example
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add)
  (memory (export "memory") 1))
