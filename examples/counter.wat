;; Instances: each instance has its own global counter and memory.
(module $counter
  (global $count (export "count") (mut i32) (i32.const 0))
  (memory (export "memory") 1)
  (func (export "next") (result i32)
    global.get $count
    i32.const 1
    i32.add
    global.set $count
    ;; remember the last value in memory at address 0
    i32.const 0
    global.get $count
    i32.store
    global.get $count))
