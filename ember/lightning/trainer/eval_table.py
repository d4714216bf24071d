"""The table ``validate`` / ``test`` print (Lightning's plain-text layout, without rich)."""

import shutil


def print_eval_results(results, stage):
    if not results or not any(results):
        return
    term = shutil.get_terminal_size(fallback=(120, 30)).columns
    metrics = sorted({k for r in results for k in r})
    headers = [f"{stage} metric"] + [f"DataLoader {i}" for i in range(len(results))]
    width = max(len(h) for h in headers + metrics) + 4
    bar = "─" * min(term, width * len(headers))
    rows = [bar, "".join(f"{h:^{width}}" for h in headers), bar]
    for m in metrics:
        cells = [m] + [str(r.get(m, "")) for r in results]
        rows.append("".join(f"{c:^{width}}" for c in cells))
    rows.append(bar)
    print("\n".join(rows))
