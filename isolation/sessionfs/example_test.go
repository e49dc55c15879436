package sessionfs_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
)

// A tree of two folders on plain directories: paths are session paths,
// resolved to a mount and a path below its root; a change to a read-only
// mount is refused before anything is touched.
func ExampleOpen() {
	base, _ := os.MkdirTemp("", "sessionfs-example")
	defer os.RemoveAll(base)
	for _, d := range []string{"data", "models"} {
		_ = os.Mkdir(filepath.Join(base, d), 0o755)
	}
	tree, err := sessionfs.Open([]sessionfs.Spec{
		{Name: "data", Dir: filepath.Join(base, "data")},
		{Name: "models", Dir: filepath.Join(base, "models"), ReadOnly: true},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tree.Close()

	fmt.Println(tree.Names())
	m, rel, _ := tree.Resolve("/data/run/../results.csv")
	fmt.Println(m.Name, rel)
	_ = m.Root.WriteFile(rel, []byte("a,b\n"), 0o644)
	_, _, err = tree.ResolveWritable("/models/new")
	fmt.Println(errors.Is(err, sessionfs.ErrReadOnly))
	// Output:
	// [data models]
	// data results.csv
	// true
}
