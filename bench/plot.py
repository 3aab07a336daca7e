"""Draw bench/fleet-scaling.png: time of the fleet view against fleet size, ours vs today's scan.

    .venv-bench/bin/python bench/plot.py OUT.png < data.json

Run by bench/tenant.py in its own pinned venv (.venv-bench, matplotlib; scripts/bench.sh makes it),
never in .venv. data.json: {"clusters", "subscriptions", "ours", "today", "ours_range", "today_range"}
(lists, one entry per fleet size; times in seconds, medians and [min, max]).
"""
import json
import sys


def main(out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.load(sys.stdin)
    sizes = data["clusters"]
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    for key, label, marker in (("today", "today: one scan per subscription, one after another", "s"),
                               ("ours", "ours: --all-subscriptions (Resource Graph, paced reads)", "o")):
        medians = data[key]
        low = [m - r[0] for m, r in zip(medians, data[f"{key}_range"])]
        high = [r[1] - m for m, r in zip(medians, data[f"{key}_range"])]
        ax.errorbar(sizes, medians, yerr=[low, high], marker=marker, capsize=3, label=label)
        for x, y in zip(sizes, medians):
            ax.annotate(f"{y:.1f} s", (x, y), textcoords="offset points", xytext=(4, 6), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([f"{n:,}\n({s} sub.)" for n, s in zip(sizes, data["subscriptions"])], fontsize=8)
    ax.minorticks_off()
    ax.set_xlabel("clusters (subscriptions), 100 clusters per subscription")
    ax.set_ylabel("wall time (s), median, min–max bars")
    ax.set_title("Fleet view of one identity against fleet size\n(stand-in ARM, 50 ms per request, "
                 "read bucket 250 / 25 per s per subscription)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
