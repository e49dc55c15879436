package web

import (
	"cmp"
	"slices"
	"strings"
)

// sortOrder returns the indexes of items in the order Filebrowser's server
// lists them (its files.Listing.ApplySort), since its frontend shows items
// in the order they come. Indexes, not a sorted copy, so a big folder's
// entries are held once. Filebrowser's rules, kept on purpose so its
// frontend's column arrows do what they show:
//
//   - "name": folders first, then names case-insensitively in natural
//     order (file2 before file10). Filebrowser compares the names the
//     other way round, so asc=false is A→Z and asc=true is Z→A.
//   - "size": smallest first when asc; folders count as smaller than any
//     file, so they come first when asc and last when not.
//   - "modified": oldest first when asc, folders and files mixed.
//
// Any other key is "name". Filebrowser's sort is not stable; ties of size
// or time here fall back to A→Z by name, so they list the same way each
// time.
func sortOrder(items []webItem, by string, asc bool) []int {
	// The comparisons read only these small records, side by side in
	// memory, rather than chase indexes into the items: a 100,000-entry
	// folder sorts about twice as fast so.
	recs := make([]sortRec, len(items))
	for i, it := range items {
		recs[i] = sortRec{key: strings.ToLower(it.Name), dir: it.IsDir, idx: int32(i)}
		switch by {
		case "size":
			recs[i].n = sizeKey(it)
		case "modified":
			recs[i].n = it.Modified.UnixNano()
		}
	}
	sign := 1
	if !asc {
		sign = -1
	}
	switch by {
	case "size", "modified":
		slices.SortFunc(recs, func(a, b sortRec) int {
			if c := cmp.Compare(a.n, b.n); c != 0 {
				return sign * c
			}
			return byName(items, a, b, 1)
		})
	default:
		// Filebrowser's name order is reversed (see above): asc=true is Z→A.
		slices.SortFunc(recs, func(a, b sortRec) int { return byName(items, a, b, -sign) })
	}
	idx := make([]int, len(recs))
	for i, r := range recs {
		idx[i] = int(r.idx)
	}
	return idx
}

// sortRec is what sortOrder compares of one item, kept small since the
// sort moves it around.
type sortRec struct {
	key string // the name in lower case
	n   int64  // size or modification time, when sorting by them
	idx int32  // in the items
	dir bool
}

// byName orders folders first, then names (dir 1: A→Z, -1: Z→A). Names
// are unique in a folder, so this is a total order and an unstable sort
// gives one answer.
func byName(items []webItem, a, b sortRec, dir int) int {
	if a.dir != b.dir {
		if a.dir {
			return -1
		}
		return 1
	}
	if c := naturalCompare(a.key, b.key); c != 0 {
		return dir * c
	}
	return dir * strings.Compare(items[a.idx].Name, items[b.idx].Name)
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
		da, db := digitRun(a), digitRun(b)
		if da == 0 || db == 0 {
			return strings.Compare(a, b)
		}
		za, zb := zeros(a[:da]), zeros(b[:db])
		if c := cmp.Compare(da-za, db-zb); c != 0 {
			return c // more significant digits: a bigger number
		}
		if c := strings.Compare(a[za:da], b[zb:db]); c != 0 {
			return c
		}
		if da == len(a) || db == len(b) {
			return strings.Compare(a, b)
		}
		a, b = a[da:], b[db:]
	}
}

// zeros counts the leading zeros of a run of digits.
func zeros(s string) int {
	n := 0
	for n < len(s) && s[n] == '0' {
		n++
	}
	return n
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
