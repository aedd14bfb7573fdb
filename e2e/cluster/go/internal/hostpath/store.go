package hostpath

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Volume is the metadata of one volume; its data is the directory volumes/<ID>.
type Volume struct {
	ID               string    `json:"id"`
	Name             string    `json:"name"`
	CapacityBytes    int64     `json:"capacityBytes"`
	SourceSnapshotID string    `json:"sourceSnapshotId,omitempty"`
	SourceVolumeID   string    `json:"sourceVolumeId,omitempty"`
	LostFound        bool      `json:"lostFound,omitempty"`
	CreatedAt        time.Time `json:"createdAt"`
}

// Snapshot is the metadata of one snapshot; its data is the directory snapshots/<ID>, a full copy.
type Snapshot struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	SourceVolumeID string    `json:"sourceVolumeId"`
	SizeBytes      int64     `json:"sizeBytes"`
	CreatedAt      time.Time `json:"createdAt"`
}

const (
	volumesDir   = "volumes"
	snapshotsDir = "snapshots"
	tmpDir       = "tmp"
	lockFile     = ".lock"
)

// Store keeps volumes and snapshots under one state directory. Nothing is cached in memory: a
// controller-only instance and a node instance may share the directory, so every lookup reads the
// JSON files, and every operation runs under an flock on state-dir/.lock (plus a mutex, because an
// flock is held per open file, not per goroutine).
//
// Commit points: a directory is copied under tmp/, renamed into place, and only then is its JSON
// written (atomically). Deleting removes the JSON first. A crash therefore leaves either a complete
// object or an orphan directory that no caller ever saw, which the next start removes.
type Store struct {
	root string
	mu   sync.Mutex
	lock *os.File
	log  *slog.Logger
}

// OpenStore creates the layout under root if needed and removes leftovers of interrupted operations.
func OpenStore(root string, log *slog.Logger) (*Store, error) {
	for _, d := range []string{volumesDir, snapshotsDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, fmt.Errorf("state dir %s: %w", root, err)
		}
	}
	lock, err := os.OpenFile(filepath.Join(root, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state dir %s: %w", root, err)
	}
	s := &Store{root: root, lock: lock, log: log}
	if err := s.Locked(s.cleanup); err != nil {
		_ = lock.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the lock file.
func (s *Store) Close() error { return s.lock.Close() }

// Locked runs fn while holding the store's process-wide and cross-process lock.
func (s *Store) Locked(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := unix.Flock(int(s.lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", s.lock.Name(), err)
	}
	defer func() { _ = unix.Flock(int(s.lock.Fd()), unix.LOCK_UN) }()
	return fn()
}

// VolumePath is the directory holding a volume's data.
func (s *Store) VolumePath(id string) string { return filepath.Join(s.root, volumesDir, id) }

// SnapshotPath is the directory holding a snapshot's data.
func (s *Store) SnapshotPath(id string) string { return filepath.Join(s.root, snapshotsDir, id) }

// TempPath is a fresh path under tmp/ on the same filesystem, for building a directory before
// renaming it into place.
func (s *Store) TempPath() string { return filepath.Join(s.root, tmpDir, NewID("tmp")) }

// NewID returns prefix-<32 hex digits>.
func NewID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return prefix + "-" + hex.EncodeToString(b)
}

// Volumes lists all committed volumes.
func (s *Store) Volumes() ([]Volume, error) {
	return readAll[Volume](filepath.Join(s.root, volumesDir))
}

// Snapshots lists all committed snapshots.
func (s *Store) Snapshots() ([]Snapshot, error) {
	return readAll[Snapshot](filepath.Join(s.root, snapshotsDir))
}

// Volume returns the volume with id, or nil if there is none.
func (s *Store) Volume(id string) (*Volume, error) {
	return readOne[Volume](filepath.Join(s.root, volumesDir), id)
}

// Snapshot returns the snapshot with id, or nil if there is none.
func (s *Store) Snapshot(id string) (*Snapshot, error) {
	return readOne[Snapshot](filepath.Join(s.root, snapshotsDir), id)
}

// CommitVolume moves a fully built directory into place and then records the volume.
func (s *Store) CommitVolume(v Volume, builtDir string) error {
	if err := os.Rename(builtDir, s.VolumePath(v.ID)); err != nil {
		return err
	}
	return writeJSONAtomic(s.VolumePath(v.ID)+".json", v)
}

// CommitSnapshot moves a fully built directory into place and then records the snapshot.
func (s *Store) CommitSnapshot(sn Snapshot, builtDir string) error {
	if err := os.Rename(builtDir, s.SnapshotPath(sn.ID)); err != nil {
		return err
	}
	return writeJSONAtomic(s.SnapshotPath(sn.ID)+".json", sn)
}

// DeleteVolume forgets the volume, then removes its data. Unknown ids are not an error.
func (s *Store) DeleteVolume(id string) error {
	if !validID(id) {
		return nil // cannot name one of ours; never let it reach RemoveAll
	}
	return removeObject(s.VolumePath(id))
}

// DeleteSnapshot forgets the snapshot, then removes its data. Unknown ids are not an error.
func (s *Store) DeleteSnapshot(id string) error {
	if !validID(id) {
		return nil
	}
	return removeObject(s.SnapshotPath(id))
}

// validID reports whether id could be one this store issued: a plain file name, not hidden.
// Ids arrive in requests, so anything with a path separator or a leading dot is refused.
func validID(id string) bool {
	return id != "" && !strings.ContainsAny(id, "/\x00") && !strings.HasPrefix(id, ".")
}

func removeObject(dir string) error {
	if err := os.Remove(dir + ".json"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// cleanup empties tmp/ and removes directories and temp files that have no committed JSON.
func (s *Store) cleanup() error {
	tmp := filepath.Join(s.root, tmpDir)
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		s.log.Info("removing leftover of an interrupted operation", "path", filepath.Join(tmp, e.Name()))
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			return err
		}
	}
	for _, d := range []string{volumesDir, snapshotsDir} {
		dir := filepath.Join(s.root, d)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			orphanDir := e.IsDir() && !exists(filepath.Join(dir, name+".json"))
			if orphanDir || strings.Contains(name, ".json.tmp") {
				s.log.Info("removing uncommitted object", "path", filepath.Join(dir, name))
				if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func readAll[T any](dir string) ([]T, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		v, err := readOne[T](dir, id)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out = append(out, *v)
		}
	}
	return out, nil
}

func readOne[T any](dir, id string) (*T, error) {
	if !validID(id) {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, id+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt (%v); remove it and its directory", filepath.Join(dir, id+".json"), err)
	}
	return &v, nil
}

// writeJSONAtomic writes v to path via a synced temp file and a rename, then syncs the directory.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(f.Name()) }() // no-op after a successful rename
	if _, err := f.Write(append(b, '\n')); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	return d.Sync()
}
