package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bashIn runs a bash script in dir, natively or under ward.
func bashIn(t *testing.T, underWard bool, dir, script string) result {
	return run(t, underWard, "/bin/bash", "-c", "set -e; cd "+dir+"; "+script)
}

// TestUserlandMatchesNative runs the everyday tools of a Debian system
// (coreutils, grep, sed, awk, gzip, xz, gcc, git, make) in a scratch
// directory, natively and under ward, and compares what they print.
func TestUserlandMatchesNative(t *testing.T) {
	needFile(t, "/bin/bash")
	for _, tc := range []struct {
		name, script string
		need         []string
	}{
		{"coreutils", `
seq 1 300 | awk '{ print $1 % 7 }' | sort | uniq -c
printf 'a:b:c\nd:e:f\n' | cut -d: -f2
seq 100 | tail -3; seq 100 | head -2
date -d '2020-02-29 12:00 UTC' -u +%j
echo hello > f; stat -c '%s %F %a' f; du -sh f | cut -f2
mkdir -p tree/a/b; echo x > tree/a/b/c; ln -s b tree/a/l
cp -a tree copy; mv copy moved; find moved | sort; readlink moved/a/l
rm -r tree moved; ls`, nil},
		{"text", `
seq 1 10000 | awk '{ printf "line %d %s\n", $1, ($1 % 3 ? "odd" : "three") }' > big.txt
grep -c three big.txt; grep -r -l 'line 9999' . 
sed -i 's/three/THREE/; s/^line //' big.txt; head -3 big.txt; grep -c THREE big.txt
awk '{ s += $1 } END { print s }' big.txt`, []string{"/usr/bin/awk"}},
		{"compression", `
seq 1 20000 > data; cp data orig
gzip -9 data; gzip -t data.gz; gunzip data.gz; cmp data orig && echo gzip-same
xz -z data; xz -t data.xz; xz -d data.xz; cmp data orig && echo xz-same`, []string{"/usr/bin/xz", "/bin/gzip"}},
		{"gcc", `
printf '#include <stdio.h>\nint main(void){ printf("hello %%d\\n", 6*7); return 0; }\n' > h.c
gcc -O2 h.c -o h && ./h`, []string{"/usr/bin/gcc"}},
		{"git", `
export HOME=$PWD GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' GIT_COMMITTER_DATE='2020-01-01T00:00:00Z'
git init -q -b main repo; cd repo
git config user.email w@example.org; git config user.name Ward
echo one > a; git add a; git commit -q -m first
echo two >> a; git commit -q -am second
git log --format='%h %s'; git rev-parse HEAD; git show --stat HEAD | tail -2`, []string{"/usr/bin/git"}},
		{"make", `
for i in 1 2 3 4 5 6; do printf 'int f%d(void){return %d;}\n' $i $i > f$i.c; done
printf '#include <stdio.h>\nint f1(void),f2(void),f3(void),f4(void),f5(void),f6(void);\nint main(void){printf("%%d\\n",f1()+f2()+f3()+f4()+f5()+f6());return 0;}\n' > main.c
printf 'OBJS=main.o f1.o f2.o f3.o f4.o f5.o f6.o\nprog: $(OBJS)\n\tgcc -o $@ $(OBJS)\n%%.o: %%.c\n\tgcc -c $< -o $@\n' > Makefile
make -s -j2 && ./prog`, []string{"/usr/bin/make", "/usr/bin/gcc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range tc.need {
				needFile(t, f)
			}
			base := t.TempDir()
			nd, wd := filepath.Join(base, "native"), filepath.Join(base, "ward")
			for _, d := range []string{nd, wd} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			native := bashIn(t, false, nd, tc.script)
			ward := bashIn(t, true, wd, tc.script)
			// Paths name the directory each ran in.
			ws := strings.ReplaceAll(ward.stdout, wd, nd)
			if native.status != 0 || ward.status != 0 || native.stdout != ws {
				t.Errorf("native: status %d\n%s\n%s\nward: status %d\n%s\nward stderr:\n%s",
					native.status, native.stdout, native.stderr, ward.status, ws, ward.stderr)
			}
		})
	}
}

// TestGitCloneOfHostRepository: git clone of a local repository hard-links
// its objects and checks that each link is the same file as its source.
// Under ward the source is on the host, below the overlay, so each link
// copies the object up first; the two names must still be one file.
func TestGitCloneOfHostRepository(t *testing.T) {
	needFile(t, "/usr/bin/git")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	setup := `export HOME=$PWD GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' GIT_COMMITTER_DATE='2020-01-01T00:00:00Z'
git init -q -b main src; cd src; git config user.email w@example.org; git config user.name Ward
for i in 1 2 3; do echo $i > f$i; git add f$i; git commit -q -m "commit $i"; done`
	if r := bashIn(t, false, dir, setup); r.status != 0 {
		t.Fatalf("setting up the repository: %s", r.stderr)
	}
	script := "git clone -q " + src + " clone; git -C clone log --format=%s; cat clone/f3"
	for _, underWard := range []bool{false, true} {
		d := filepath.Join(dir, map[bool]string{false: "native", true: "ward"}[underWard])
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		r := bashIn(t, underWard, d, "export HOME=$PWD; "+script)
		if want := "commit 3\ncommit 2\ncommit 1\n3\n"; r.status != 0 || r.stdout != want {
			t.Errorf("under ward %v: status %d, stdout %q, want %q\n%s", underWard, r.status, r.stdout, want, r.stderr)
		}
	}
}
