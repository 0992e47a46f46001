package test

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the module root, found from this file's location.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// TestDependencyRule fails when an import arrow points the wrong way (see
// docs/architecture.md, "The dependency rule").
func TestDependencyRule(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}}|{{.Standard}}|{{join .Imports \" \"}}", "./...")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	standard := map[string]bool{}
	imports := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "|", 3)
		pkg := strings.Fields(parts[0])[0] // drop " [authd/x.test]" variants
		standard[pkg] = parts[1] == "true"
		if strings.HasPrefix(pkg, "authd/") && !strings.HasSuffix(pkg, ".test") {
			imports[pkg] = append(imports[pkg], strings.Fields(parts[2])...)
		}
	}

	layer := func(pkg string) string {
		rest := strings.TrimPrefix(pkg, "authd/")
		switch {
		case strings.HasPrefix(rest, "adapters/internal/"):
			return "adapters/internal/" + strings.SplitN(strings.TrimPrefix(rest, "adapters/internal/"), "/", 2)[0]
		case strings.HasPrefix(rest, "adapters/"):
			return "adapters/" + strings.SplitN(strings.TrimPrefix(rest, "adapters/"), "/", 2)[0]
		default:
			return strings.SplitN(rest, "/", 2)[0]
		}
	}
	var isDriver func(string) bool
	allowed := func(from, to string) bool {
		if standard[to] {
			return true
		}
		own := strings.HasPrefix(to, "authd/")
		lf, lt := layer(from), layer(to)
		switch {
		case lf == "internal":
			// Test support (testkit): nothing of authd's own, so a test that
			// uses it still sees each layer only through its own imports.
			return !own
		case lf == "domain" || lf == "migrations" || lf == "api":
			return own && lt == lf
		case lf == "ports":
			return own && (lt == "domain" || lt == "ports")
		case lf == "application":
			return own && (lt == "domain" || lt == "ports" || lt == "application")
		case strings.HasPrefix(lf, "adapters/internal/"):
			// Shared plumbing of the adapters: driver-neutral, so no engine's
			// driver can leak into the others.
			return !own && !isDriver(to) || lt == "domain" || lt == "ports" || lt == "migrations" || lt == lf
		case strings.HasPrefix(lf, "adapters/"):
			return !own || lt == "domain" || lt == "ports" || lt == "migrations" || lt == "api" || lt == lf ||
				strings.HasPrefix(lt, "adapters/internal/")
		}
		return true // cmd and test may import anything
	}

	isDriver = func(pkg string) bool {
		for _, d := range []string{"github.com/go-sql-driver/", "modernc.org/sqlite", "github.com/jackc/", "github.com/lib/pq"} {
			if strings.HasPrefix(pkg, d) {
				return true
			}
		}
		return false
	}
	checked, testkitUsers := 0, 0
	for pkg, deps := range imports {
		for _, dep := range deps {
			if dep == testkitPkg {
				// Any test may use it; that only tests do is checked below.
				testkitUsers++
				continue
			}
			if strings.HasPrefix(dep, "authd/") && strings.HasSuffix(pkg, "_test") {
				continue
			}
			checked++
			if !allowed(pkg, dep) {
				t.Errorf("%s imports %s: the dependency rule forbids it", pkg, dep)
			}
		}
	}
	if checked == 0 || len(imports["authd/domain"]) == 0 || testkitUsers == 0 {
		t.Fatalf("go list gave nothing to check:\n%s", out)
	}

	// testkit is for tests only: no package's build without its tests may
	// depend on it, directly or through another package.
	cmd = exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Deps \" \"}}", "./...")
	cmd.Dir = repoRoot(t)
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	builds := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, "|")
		if pkg == testkitPkg {
			continue
		}
		builds++
		for _, dep := range strings.Fields(deps) {
			if dep == testkitPkg {
				t.Errorf("%s depends on %s outside its tests: test support must not reach a build", pkg, testkitPkg)
			}
		}
	}
	if builds == 0 {
		t.Fatalf("go list gave no packages:\n%s", out)
	}
}

// testkitPkg is the test support package (internal/testkit).
const testkitPkg = "authd/internal/testkit"

// TestWireGenIsFresh fails when cmd/authd/wire_gen.go is stale; `make generate`
// fixes it. The diff is what wire prints on standard output; the go command's
// own progress lines ("go: downloading ...", on a machine with an empty module
// cache) go to standard error and are no diff.
func TestWireGenIsFresh(t *testing.T) {
	cmd := exec.Command("go", "tool", "wire", "diff", "./cmd/authd")
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("wire_gen.go is stale or wire failed (run `make generate`): %v\n%s%s", err, out, stderr.String())
	}
}
