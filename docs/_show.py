# Shared by the executed pages (included with a snippet): show a result as a notebook would, a figure as SVG.
import matplotlib

matplotlib.use("Agg")
from io import StringIO

import matplotlib.pyplot as plt


def show(obj):
    """Print a survtrial result's notebook HTML, a frame as an HTML table, or a matplotlib figure as SVG."""
    if hasattr(obj, "savefig"):
        buf = StringIO()
        obj.savefig(buf, format="svg", bbox_inches="tight")
        plt.close(obj)
        text = buf.getvalue()
        print(text[text.index("<svg"):])
    elif hasattr(obj, "columns"):  # a frame: the same compact table as a result's
        from survtrial._repr import frame_html

        print(f'<div class="survtrial-result">{frame_html(obj)}</div>')
    else:
        print(obj._repr_html_())
