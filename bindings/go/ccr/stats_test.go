// SPDX-License-Identifier: Apache-2.0

package ccr_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	ccr "github.com/ccr-project/ccr/bindings/go/ccr"
)

const header = "../../../include/ccr/ccr.h"

// headerText is ccr.h without its comments; the test skips without it,
// except in CI, where the source tree is always there.
func headerText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(header)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v (CI=true)", header, err)
		}
		t.Skipf("%s: %v (the tests run from the ccr source tree)", header, err)
	}
	return regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(b), "")
}

// Every function of ccr.h is called somewhere in the package's sources.
func TestEveryHeaderFunctionIsBound(t *testing.T) {
	text := headerText(t)
	var src strings.Builder
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	// ccr_options_set_notify and ccr_options_set_log are reached through
	// the C trampolines.
	cfiles, _ := filepath.Glob("*.c")
	for _, f := range cfiles {
		c, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(c)
	}
	for _, m := range regexp.MustCompile(`CCR_EXTERN\s+[^;(]*?\b(ccr_\w+)\s*\(`).FindAllStringSubmatch(text, -1) {
		name := m[1]
		if !strings.Contains(src.String(), name+"(") {
			t.Errorf("%s of ccr.h is not bound", name)
		}
	}
}

// The Stat constants are ccr_stat's, one for one, and named after it.
func TestStatsMatchTheHeader(t *testing.T) {
	text := headerText(t)
	m := regexp.MustCompile(`(?s)typedef enum ccr_stat \{(.*?)\}`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no ccr_stat in ccr.h")
	}
	want := map[string]int{}
	for _, e := range regexp.MustCompile(`CCR_STAT_(\w+)\s*=\s*(\d+)`).FindAllStringSubmatch(m[1], -1) {
		n, _ := strconv.Atoi(e[2])
		want[strings.ToLower(e[1])] = n
	}
	got := map[string]int{}
	for _, s := range ccr.AllStats {
		got[s.String()] = int(s)
	}
	if len(got) != len(want) || len(ccr.AllStats) != len(want) {
		t.Errorf("AllStats has %d (%d names), ccr.h %d", len(ccr.AllStats), len(got), len(want))
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s: binding %d, ccr.h %d", name, got[name], v)
		}
	}
	if s := ccr.Stat(99).String(); s != "stat(99)" {
		t.Errorf("unknown stat: %q", s)
	}
}

// ReadStats, ImportArchive and ExportArchive report what is wrong before
// anything runs. No root needed.
func TestStatsAndArchiveErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ccr.ReadStats(dir); !errors.Is(err, ccr.ErrNotFound) {
		t.Errorf("ReadStats of an empty dir: %s, want not-found", describe(err))
	}
	if err := os.WriteFile(filepath.Join(dir, "stats-dump"), []byte("\xff\xff\xff\xff garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ccr.ReadStats(dir); !errors.Is(err, ccr.ErrImage) {
		t.Errorf("ReadStats of a malformed stats-dump: %s, want image", describe(err))
	}

	dest := filepath.Join(dir, "dest")
	if err := ccr.ImportArchive(filepath.Join(dir, "missing.tar"), dest); !errors.Is(err, ccr.ErrNotFound) {
		t.Errorf("ImportArchive of a missing archive: %s, want not-found", describe(err))
	}
	bogus := filepath.Join(dir, "bogus.tar")
	if err := os.WriteFile(bogus, []byte(strings.Repeat("not a tar archive ", 60)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ccr.ImportArchive(bogus, dest); !errors.Is(err, ccr.ErrImage) {
		t.Errorf("ImportArchive of garbage: %s, want image", describe(err))
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("a failed import left %s: %v", dest, err)
	}
	if err := ccr.ImportArchive("", dest); !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("ImportArchive(\"\"): %s, want invalid-argument", describe(err))
	}
	// A fifo is refused at once, not waited on; a canceled context stops an
	// import before it starts.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ccr.ImportArchiveWith(context.Background(), fifo, dest, &ccr.ImportLimits{MaxEntries: 10,
		MaxBytes: 1 << 20, MaxRatio: 5, Timeout: time.Second}); !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("ImportArchiveWith of a fifo: %s, want invalid-argument", describe(err))
	}
	stopped, stop := context.WithCancel(context.Background())
	stop()
	if err := ccr.ImportArchiveWith(stopped, bogus, dest, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("ImportArchiveWith with a canceled context: %s, want canceled", describe(err))
	}

	ctx := context.Background()
	c := &ccr.Container{ID: "x", ConfigJSON: `{"ociVersion": "1.0.2"}`}
	archive := filepath.Join(dir, "a.tar")
	if err := ccr.ExportArchive(ctx, archive, c, nil, ""); !errors.Is(err, ccr.ErrInvalidArgument) {
		t.Errorf("ExportArchive without images: %s, want invalid-argument", describe(err))
	}
	err := ccr.ExportArchive(ctx, archive, c,
		&ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: filepath.Join(dir, "none")}}, "")
	if !errors.Is(err, ccr.ErrNotFound) && !errors.Is(err, ccr.ErrImage) {
		t.Errorf("ExportArchive of missing images: %s, want not-found or image", describe(err))
	}
	images := &ccr.CheckpointOptions{Options: ccr.Options{ImagesDir: filepath.Join(dir, "none")}}
	for _, meta := range []*ccr.ArchiveMetadata{
		{Engine: "podman"},
		{Created: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		{Created: time.Unix(20, 0), Checkpointed: time.Unix(10, 0)},
	} {
		err := ccr.ExportArchiveWithMetadata(ctx, archive, c, images, "", meta)
		if !errors.Is(err, ccr.ErrInvalidArgument) {
			t.Errorf("ExportArchiveWithMetadata(%+v): %s, want invalid-argument", meta, describe(err))
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := ccr.ExportArchive(canceled, archive, c, nil, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("ExportArchive with a done context: %s", describe(err))
	}
	if _, err := os.Stat(archive); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s: %v", archive, err)
	}
}
