"""bench.sections - one module per table of issue 6.

Each module has TITLE, measure(ctx) -> json-able results, and
render(ctx, doc, res, plots) which writes its part of docs/benchmarks.md and
may add goal rows to ctx.goals. measure() and render() are separate so a saved
results.json can be rendered again (bench.py --render).
"""
