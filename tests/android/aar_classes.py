"""The classes of an AndroidX AAR (or jar) as one plain jar, for the Maven build of tests/android.

usage: python3 aar_classes.py ARTIFACT(.aar|.jar) OUT.jar

An AAR's classes.jar lacks the R class that the Android Gradle plugin generates from the AAR's
R.txt; AndroidX code uses it (e.g. androidx.lifecycle.runtime.R.id.view_tree_lifecycle_owner as
a View tag key, which must look like an app resource id). This writes R.java for the package of
the AAR's manifest with every R.txt entry (ids 0x7fXXXXXX derived from type and name, so equal
names get equal values, as in a merged app), compiles it with javac and adds it to the jar.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib

src, out = sys.argv[1], sys.argv[2]
if src.endswith(".jar"):
    shutil.copyfile(src, out)
    sys.exit(0)
aar = zipfile.ZipFile(src)
with open(out, "wb") as f:
    f.write(aar.read("classes.jar"))
names = aar.namelist()
if "R.txt" not in names:
    sys.exit(0)
rtxt = aar.read("R.txt").decode()
if not rtxt.strip():
    sys.exit(0)
package = re.search(r'package="([^"]+)"', aar.read("AndroidManifest.xml").decode()).group(1)


def rid(kind, name):
    return 0x7F000000 | (zlib.crc32(f"{kind}/{name}".encode()) & 0x00FFFFFF)


types = {}
for line in rtxt.splitlines():
    parts = line.split(None, 3)
    if len(parts) < 4:
        continue
    jtype, kind, name, value = parts
    if jtype == "int":
        decl = f"public static int {name} = {rid(kind, name) if kind != 'styleable' else 0};"
    else:
        count = len([v for v in value.strip("{} ").split(",") if v.strip()])
        decl = f"public static int[] {name} = new int[{count}];"
    types.setdefault(kind, []).append(decl)
body = "\n".join(
    f"  public static final class {kind} {{\n" + "\n".join("    " + d for d in decls) + "\n  }"
    for kind, decls in types.items()
)
tmp = tempfile.mkdtemp()
pkg_dir = os.path.join(tmp, "src", *package.split("."))
os.makedirs(pkg_dir)
with open(os.path.join(pkg_dir, "R.java"), "w") as f:
    f.write(f"package {package};\n\npublic final class R {{\n{body}\n}}\n")
classes = os.path.join(tmp, "classes")
javac = os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "javac") if os.environ.get("JAVA_HOME") else "javac"
subprocess.run([javac, "-nowarn", "--release", "8", "-d", classes, os.path.join(pkg_dir, "R.java")],
               check=True, stderr=subprocess.DEVNULL)
with zipfile.ZipFile(out, "a") as jar:
    for root, _, files in os.walk(classes):
        for name in files:
            path = os.path.join(root, name)
            jar.write(path, os.path.relpath(path, classes))
shutil.rmtree(tmp)
