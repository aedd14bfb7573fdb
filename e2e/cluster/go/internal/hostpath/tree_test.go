package hostpath_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fillTree writes a tree that exercises what a copy must preserve: owners, odd modes (setuid,
// setgid dir, sticky, read-only dir), nanosecond mtimes, symlinks (relative, absolute, dangling,
// to a directory outside the volume), a fifo, hard links, empty and multi-MiB files.
func fillTree(t *testing.T, root string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	big := make([]byte, 3<<20+17)
	_, _ = rand.Read(big)
	must(os.MkdirAll(filepath.Join(root, "data/nested/deep"), 0o755))
	must(os.WriteFile(filepath.Join(root, "data/big.bin"), big, 0o644))
	must(os.WriteFile(filepath.Join(root, "data/empty"), nil, 0o600))
	must(os.WriteFile(filepath.Join(root, "data/nested/deep/note.txt"), []byte("hello\n"), 0o640))
	must(os.WriteFile(filepath.Join(root, "suid"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Link(filepath.Join(root, "data/empty"), filepath.Join(root, "data/empty-link")))
	must(os.Symlink("nested/deep/note.txt", filepath.Join(root, "data/rel-link")))
	must(os.Symlink("/etc", filepath.Join(root, "etc-link")))
	must(os.Symlink("does/not/exist", filepath.Join(root, "dangling")))
	must(unix.Mkfifo(filepath.Join(root, "fifo"), 0o620))
	must(os.Mkdir(filepath.Join(root, "sticky"), 0o755))
	must(os.Mkdir(filepath.Join(root, "readonly"), 0o755))
	must(os.WriteFile(filepath.Join(root, "readonly/inside"), []byte("x"), 0o444))

	owners := map[string][2]int{"data": {1000, 1000}, "data/nested/deep/note.txt": {1234, 5678},
		"suid": {0, 50}, "data/rel-link": {42, 43}, "sticky": {7, 7}, ".": {1000, 2000}}
	for p, o := range owners {
		must(unix.Lchown(filepath.Join(root, p), o[0], o[1]))
	}
	modes := map[string]uint32{"suid": 0o4755, "data/nested": 0o2750, "sticky": 0o1777, "readonly": 0o555, ".": 0o750}
	for p, m := range modes {
		must(unix.Chmod(filepath.Join(root, p), m))
	}
	// Times last, deepest first, so that setting them does not disturb a parent's mtime.
	var paths []string
	must(filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	}))
	sort.Sort(sort.Reverse(sort.StringSlice(paths)))
	for i, p := range paths {
		ts := time.Date(2021, 3, 4, 5, 6, 7, 123456789+i, time.UTC)
		spec := []unix.Timespec{unix.NsecToTimespec(ts.UnixNano()), unix.NsecToTimespec(ts.UnixNano())}
		must(unix.UtimesNanoAt(unix.AT_FDCWD, p, spec, unix.AT_SYMLINK_NOFOLLOW))
	}
}

// entry is what must survive a copy, for one path.
type entry struct {
	mode     uint32
	uid, gid uint32
	mtime    unix.Timespec
	size     int64
	rdev     uint64
	link     string
	content  []byte
}

func describe(t *testing.T, root string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		e := entry{mode: st.Mode, uid: st.Uid, gid: st.Gid, mtime: st.Mtim, rdev: st.Rdev}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			e.size = st.Size
			if e.content, err = os.ReadFile(p); err != nil {
				return err
			}
		case unix.S_IFLNK:
			if e.link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameTree fails the test with every difference between the trees at a and b.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	da, db := describe(t, a), describe(t, b)
	var diffs []string
	for p, ea := range da {
		eb, ok := db[p]
		switch {
		case !ok:
			diffs = append(diffs, "missing in copy: "+p)
		case ea.mode != eb.mode || ea.uid != eb.uid || ea.gid != eb.gid:
			diffs = append(diffs, fmt.Sprintf("%s: mode/owner %o %d:%d vs %o %d:%d", p, ea.mode, ea.uid, ea.gid, eb.mode, eb.uid, eb.gid))
		case ea.mtime != eb.mtime:
			diffs = append(diffs, fmt.Sprintf("%s: mtime %v vs %v", p, ea.mtime, eb.mtime))
		case ea.link != eb.link || ea.rdev != eb.rdev || ea.size != eb.size || !bytes.Equal(ea.content, eb.content):
			diffs = append(diffs, fmt.Sprintf("%s: content, link target or device differs", p))
		}
	}
	for p := range db {
		if _, ok := da[p]; !ok {
			diffs = append(diffs, "extra in copy: "+p)
		}
	}
	if len(da) < 10 {
		diffs = append(diffs, fmt.Sprintf("tree %s has only %d entries; the fixture did not build", a, len(da)))
	}
	sort.Strings(diffs)
	for _, d := range diffs {
		t.Error(d)
	}
}
