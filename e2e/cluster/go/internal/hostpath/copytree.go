package hostpath

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// CopyTree copies the directory src to dst (which must not exist), preserving owner, group, mode
// (including setuid/setgid/sticky), access and modification times, symlinks (not followed),
// fifos and device nodes. Hard links become separate copies; sockets are skipped (they are only
// meaningful while their server runs); xattrs and ACLs are not copied.
//
// The source is a volume that pods write to, so it is untrusted and may change while we copy: it
// is walked through directory file descriptors with O_NOFOLLOW, and each file's metadata is taken
// from the opened descriptor, so a symlink swapped in mid-copy is copied as a symlink and never
// followed out of the volume. The destination is private to us until it is committed.
func CopyTree(src, dst string) error {
	fd, err := unix.Open(src, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	return copyDir(fd, src, dst)
}

// copyDir copies the open directory fd (named srcName for errors) to dst and closes fd.
func copyDir(fd int, srcName, dst string) error {
	dir := os.NewFile(uintptr(fd), srcName)
	defer func() { _ = dir.Close() }()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat %s: %w", srcName, err)
	}
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	entries, err := dir.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("read %s: %w", srcName, err)
	}
	for _, e := range entries {
		if err := copyEntry(fd, filepath.Join(srcName, e.Name()), e.Name(), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	// Directory metadata last: adding children changes the mtime, and a read-only mode would
	// stop us from adding them.
	return applyMeta(dst, &st, false)
}

func copyEntry(dirfd int, srcName, name, dst string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat %s: %w", srcName, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open %s: %w", srcName, err)
		}
		return copyDir(fd, srcName, dst)
	case unix.S_IFREG:
		return copyFile(dirfd, srcName, name, dst)
	case unix.S_IFLNK:
		target, err := readlinkat(dirfd, name)
		if err != nil {
			return fmt.Errorf("readlink %s: %w", srcName, err)
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
		return applyMeta(dst, &st, true)
	case unix.S_IFIFO, unix.S_IFCHR, unix.S_IFBLK:
		if err := unix.Mknod(dst, st.Mode&unix.S_IFMT|0o600, int(st.Rdev)); err != nil {
			return fmt.Errorf("mknod %s: %w", dst, err)
		}
		return applyMeta(dst, &st, false)
	default: // sockets
		return nil
	}
}

func copyFile(dirfd int, srcName, name, dst string) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", srcName, err)
	}
	in := os.NewFile(uintptr(fd), srcName)
	defer func() { _ = in.Close() }()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat %s: %w", srcName, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%s changed type while being copied; retry", srcName)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	// io.Copy between two *os.File uses copy_file_range, so large files are cheap.
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return fmt.Errorf("copy %s: %w", srcName, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return applyMeta(dst, &st, false)
}

// applyMeta sets owner, mode and times of dst from st. Ownership goes first because chown clears
// the setuid and setgid bits.
func applyMeta(dst string, st *unix.Stat_t, symlink bool) error {
	if err := unix.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", dst, err)
	}
	if !symlink { // a symlink's own mode is always 0777 on Linux and cannot be changed
		if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
			return fmt.Errorf("chmod %s: %w", dst, err)
		}
	}
	times := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, dst, times, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times of %s: %w", dst, err)
	}
	return nil
}

func readlinkat(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
		if size > 1<<20 {
			return "", errors.New("symlink target too long")
		}
	}
}
