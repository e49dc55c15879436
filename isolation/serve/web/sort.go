package web

import (
	"cmp"
	"slices"
	"strings"
)

// sortItems orders a listing as Filebrowser's server does (its
// files.Listing.ApplySort), since its frontend shows items in the order
// they come. Its rules, kept on purpose so the frontend's column arrows
// do what they show:
//
//   - "name": folders first, then names case-insensitively in natural
//     order (file2 before file10). Filebrowser compares the names the
//     other way round, so asc=false is A→Z and asc=true is Z→A.
//   - "size": smallest first when asc; folders count as smaller than any
//     file, so they come first when asc and last when not.
//   - "modified": oldest first when asc, folders and files mixed.
//
// Any other key is "name". Filebrowser's sort is not stable; ties here
// fall back to A→Z by name, so equal sizes or times list the same way each
// time.
func sortItems(items []webItem, by string, asc bool) {
	keys := make([]string, len(items))
	for i := range items {
		keys[i] = strings.ToLower(items[i].Name)
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	dirsFirst := func(a, b int) int {
		switch {
		case items[a].IsDir == items[b].IsDir:
			return 0
		case items[a].IsDir:
			return -1
		}
		return 1
	}
	byName := func(a, b int) int {
		return cmp.Or(dirsFirst(a, b), naturalCompare(keys[a], keys[b]), strings.Compare(items[a].Name, items[b].Name))
	}
	sign := 1
	if !asc {
		sign = -1
	}
	var order func(a, b int) int
	switch by {
	case "size":
		order = func(a, b int) int {
			return cmp.Or(sign*cmp.Compare(sizeKey(items[a]), sizeKey(items[b])), byName(a, b))
		}
	case "modified":
		order = func(a, b int) int {
			return cmp.Or(sign*items[a].Modified.Compare(items[b].Modified), byName(a, b))
		}
	default:
		// Folders stay first both ways; Filebrowser's name order is
		// reversed (see above): asc=true is Z→A.
		order = func(a, b int) int {
			return cmp.Or(dirsFirst(a, b), -sign*naturalCompare(keys[a], keys[b]), strings.Compare(items[a].Name, items[b].Name))
		}
	}
	slices.SortStableFunc(idx, order)
	sorted := make([]webItem, len(items))
	for i, j := range idx {
		sorted[i] = items[j]
	}
	copy(items, sorted)
}

// sizeKey is Filebrowser's size order: folders sort below every file.
func sizeKey(it webItem) int64 {
	if it.IsDir {
		return it.Size - 1<<31
	}
	return it.Size
}

// naturalCompare compares like github.com/maruel/natural, which
// Filebrowser uses: runs of digits compare by value ("2" < "10"); when
// the values are equal ("01" and "1"), the rest decides, or byte order
// if either side ends there.
func naturalCompare(a, b string) int {
	for {
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] && !isDigit(a[i]) {
			i++
		}
		a, b = a[i:], b[i:]
		if a == "" || b == "" {
			return strings.Compare(a, b)
		}
		da, db := digitRun(a), digitRun(b)
		if da == 0 || db == 0 {
			return strings.Compare(a, b)
		}
		na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
		if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
			return c
		}
		if da == len(a) || db == len(b) {
			return strings.Compare(a, b)
		}
		a, b = a[da:], b[db:]
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digitRun is the length of the run of ASCII digits s starts with.
func digitRun(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}
