// Command gotest exercises the gojs host: each subcommand is one feature.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"syscall/js"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Println("hello, gojs")
		return
	}
	switch os.Args[1] {
	case "args":
		fmt.Println(strings.Join(os.Args, " "))
		fmt.Println("GREETING=" + os.Getenv("GREETING"))
		env := os.Environ()
		sort.Strings(env)
		fmt.Println(strings.Join(env, ";"))
	case "files":
		files(os.Args[2])
	case "timers":
		timers()
	case "js":
		jscalls()
	case "panic":
		panic("oh no")
	case "exit":
		fmt.Println("exiting")
		os.Exit(3)
	case "stdin":
		data, err := io.ReadAll(os.Stdin)
		check(err)
		fmt.Printf("stdin %q\n", strings.ToUpper(string(data)))
	case "readonly":
		err := os.WriteFile(os.Args[2]+"/new.txt", []byte("x"), 0o644)
		fmt.Println("write refused:", err != nil, errors.Is(err, syscall.EROFS))
	case "stderr":
		fmt.Fprintln(os.Stderr, "to stderr")
	case "missing":
		v := js.Global().Get("navigator")
		fmt.Println("navigator:", v.Type().String())
		v.Call("vibrate", 1)
	default:
		fmt.Println("unknown subcommand", os.Args[1])
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func files(dir string) {
	data, err := os.ReadFile(dir + "/in.txt")
	check(err)
	fmt.Printf("read %q\n", data)
	check(os.WriteFile(dir+"/out.txt", []byte(strings.ToUpper(string(data))), 0o644))
	check(os.Mkdir(dir+"/sub", 0o755))
	check(os.WriteFile(dir+"/sub/a.txt", []byte("a"), 0o644))
	check(os.Rename(dir+"/sub/a.txt", dir+"/sub/b.txt"))
	entries, err := os.ReadDir(dir)
	check(err)
	for _, e := range entries {
		fmt.Println("entry", e.Name(), e.IsDir())
	}
	st, err := os.Stat(dir + "/out.txt")
	check(err)
	fmt.Println("size", st.Size(), st.Mode().IsRegular())
	f, err := os.OpenFile(dir+"/out.txt", os.O_RDWR, 0)
	check(err)
	_, err = f.Seek(2, 0)
	check(err)
	buf := make([]byte, 3)
	n, err := f.Read(buf)
	check(err)
	fmt.Printf("seek+read %q\n", buf[:n])
	check(f.Close())
	check(os.Remove(dir + "/sub/b.txt"))
	_, err = os.Stat(dir + "/sub/b.txt")
	fmt.Println("removed:", os.IsNotExist(err))
	_, err = os.ReadFile("/etc/passwd")
	fmt.Println("outside:", err != nil)
}

func timers() {
	begin := time.Now()
	var wg sync.WaitGroup
	results := make(chan string, 3)
	for i, d := range []int{30, 10, 20} {
		wg.Add(1)
		go func(i, d int) {
			defer wg.Done()
			time.Sleep(time.Duration(d) * time.Millisecond)
			results <- fmt.Sprintf("g%d", i)
		}(i, d)
	}
	wg.Wait()
	close(results)
	var got []string
	for r := range results {
		got = append(got, r)
	}
	sort.Strings(got)
	fmt.Println(strings.Join(got, ","), time.Since(begin) >= 30*time.Millisecond)
	t := time.NewTimer(time.Hour)
	fmt.Println("stopped:", t.Stop())
	start := time.Now()
	<-time.After(5 * time.Millisecond)
	fmt.Println("after:", time.Since(start) >= 5*time.Millisecond)
}

func jscalls() {
	g := js.Global()
	obj := g.Get("Object").New()
	obj.Set("answer", 42)
	obj.Set("name", "gopher")
	fmt.Println(obj.Get("answer").Int(), obj.Get("name").String(), obj.Get("nothing").IsUndefined())
	arr := g.Get("Array").New(3)
	for i := 0; i < 3; i++ {
		arr.SetIndex(i, i*i)
	}
	fmt.Println("len", arr.Length(), arr.Index(2).Int())
	u8 := g.Get("Uint8Array").New(4)
	n := js.CopyBytesToJS(u8, []byte{1, 2, 3, 4, 5})
	back := make([]byte, 4)
	js.CopyBytesToGo(back, u8)
	fmt.Println("copied", n, back, u8.InstanceOf(g.Get("Uint8Array")))
	cb := js.FuncOf(func(this js.Value, args []js.Value) any {
		return args[0].Int() + args[1].Int()
	})
	defer cb.Release()
	fmt.Println("callback", cb.Invoke(20, 22).Int())
	d := g.Get("Date").New()
	fmt.Println("date type", d.Type().String())
	e := g.Get("Error").New("boom")
	fmt.Println("error", e.Get("message").String())
	obj.Delete("name")
	fmt.Println("deleted", obj.Get("name").IsUndefined())
	fmt.Println("float", js.ValueOf(1.5).Float(), js.ValueOf(true).Bool(), js.Null().IsNull())
}
