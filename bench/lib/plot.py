"""plot.py - PNG plots through gnuplot.

Each plot writes its data as a whitespace-separated .dat file and a .gp
script next to the PNG's temp files, then runs gnuplot once. Missing gnuplot
is not an error: the plot is skipped and the caller gets None.
"""
import os
import shutil
import subprocess


def _terminal():
    try:
        out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True,
                             text=True, timeout=10)
        text = out.stdout + out.stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    return "pngcairo size 960,520 font ',10'" if "pngcairo" in text else "png size 960,520"


def _q(s):
    return '"' + str(s).replace('"', "'") + '"'


def _run(workdir, name, script, png):
    if not shutil.which("gnuplot"):
        return None
    term = _terminal()
    if not term:
        return None
    gp = os.path.join(workdir, name + ".gp")
    with open(gp, "w") as f:
        f.write(f"set terminal {term}\nset output {_q(png)}\n" + script)
    p = subprocess.run(["gnuplot", gp], capture_output=True, text=True, timeout=60)
    if p.returncode != 0 or not os.path.exists(png):
        print(f"bench: gnuplot failed for {name}: {p.stderr.strip()[:300]}", flush=True)
        return None
    return png


def bars(workdir, png, title, ylabel, categories, series, log=False, hline=None):
    """Clustered bars: categories on x, one bar per series.
    series: [(label, [value or None per category])]; hline: (y, label) drawn
    as a dashed reference line."""
    series = [s for s in series if any(v is not None for v in s[1])]
    if not series or not categories:
        return None
    name = os.path.splitext(os.path.basename(png))[0]
    dat = os.path.join(workdir, name + ".dat")
    with open(dat, "w") as f:
        for i, c in enumerate(categories):
            vals = ["NaN" if s[1][i] is None else repr(float(s[1][i])) for s in series]
            f.write(_q(c) + " " + " ".join(vals) + "\n")
    cols = " , ".join(f"{_q(dat)} using {j + 2}:xtic(1) title {_q(lbl)}"
                      for j, (lbl, _) in enumerate(series))
    ref = ""
    if hline:
        ref = (f"set arrow from graph 0, first {hline[0]} to graph 1, first {hline[0]} nohead "
               f"dt 2 lw 1.5 lc rgb 'black' front\n"
               f"set label {_q(hline[1])} at graph 0.01, first {hline[0]} offset 0,0.6 front\n")
    script = f"""set termoption noenhanced
set title {_q(title)}
set ylabel {_q(ylabel)}
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside right top vertical
set xtics rotate by 30 right
set yrange [0:*]
{ref}{"set logscale y" if log else ""}
plot {cols}
"""
    return _run(workdir, name, script, png)


def lines(workdir, png, title, xlabel, ylabel, xs, series, logy=False):
    """Lines with points: series [(label, [y or None per x])]."""
    series = [s for s in series if any(v is not None for v in s[1])]
    if not series or not xs:
        return None
    name = os.path.splitext(os.path.basename(png))[0]
    dat = os.path.join(workdir, name + ".dat")
    with open(dat, "w") as f:
        for i, x in enumerate(xs):
            vals = ["NaN" if s[1][i] is None else repr(float(s[1][i])) for s in series]
            f.write(f"{x} " + " ".join(vals) + "\n")
    cols = " , ".join(f"{_q(dat)} using 1:{j + 2} with linespoints lw 2 title {_q(lbl)}"
                      for j, (lbl, _) in enumerate(series))
    script = f"""set termoption noenhanced
set title {_q(title)}
set xlabel {_q(xlabel)}
set ylabel {_q(ylabel)}
set grid
set key top left
{"set logscale y" if logy else ""}
set xtics ({", ".join(f'"{x}" {x}' for x in xs)})
plot {cols}
"""
    return _run(workdir, name, script, png)
