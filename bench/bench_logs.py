"""What the bench scripts read back from a run of a compiled executable: its
log (time per pass, peak resident memory, the output check). Imported by the
reporting snippets in bench/*.sh."""
import re


def run_stats(log_path):
    """(ms per pass or NaN, peak RSS in MiB over ranks or NaN, "ok" or
    "MISMATCH/FAILED") from the log of `./model --iterations=N --expected_output=...`."""
    log = open(log_path).read()
    t = re.search(r"total\s+([0-9.]+) ms", log)
    rss = re.search(r"peak resident memory per rank \(MiB\):(.*)", log)
    rss = max(float(x.split(":")[1]) for x in rss.group(1).split(",")) if rss else float("nan")
    ok = "ok" if re.search(r"output 0 .*: ok", log) else "MISMATCH/FAILED"
    return (float(t.group(1)) if t else float("nan")), rss, ok
