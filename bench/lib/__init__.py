"""bench.lib - process management, /proc readers, statistics, load
generation, report writing and plotting for drover's benchmark harness."""
