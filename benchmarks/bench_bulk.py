"""Measure `aioresolve bulk` on a 100k-line file against knot (the rig)."""
import os, subprocess, sys, time, re
sys.path.insert(0, "/work/main")
from tests.rig import namespace, servers, zone as z
N = int(os.environ.get("N", "100000"))
backends = sys.argv[1:] or ["cares"]
ns = None
if "system" in backends:
    ns = namespace.enter()
os.makedirs("/tmp/bulkbench", exist_ok=True)
src = "/tmp/bulkbench/names.txt"
with open(src, "w") as f:
    f.write("".join(n + "\n" for n in z.bulk_query_names(N, nx_every=100)))
with servers.start_knot(bulk_count=N, workers=1) as knot:
    ctx = servers.start_dnsdist(knot, host=ns.address, port=53, counting=False) if ns else None
    dns53 = ctx.__enter__() if ctx else None
    try:
        for b in backends:
            out = f"/tmp/bulkbench/out-{b}.jsonl"
            args = ["/usr/bin/time", "-v", sys.executable, "-m", "aioresolve", "bulk", src, "-o", out,
                    "--backend", b, "--concurrency", os.environ.get("C", "200")]
            if b != "system":
                args += ["--server", knot.address]
            t = time.monotonic()
            p = subprocess.run(args, capture_output=True, text=True, cwd="/work/main")
            el = time.monotonic() - t
            rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)
            lines = sum(1 for _ in open(out))
            summ = [l for l in p.stderr.splitlines() if "names in" in l or l.startswith("  ")]
            print(f"{b}: rc={p.returncode} lines={lines} wall={el:.1f}s peakRSS={int(rss)/1024:.0f}MiB")
            print("\n".join(summ[:6]))
    finally:
        if ctx: ctx.__exit__(None, None, None)
