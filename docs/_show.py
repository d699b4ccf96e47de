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
    elif hasattr(obj, "_repr_html_"):
        print(obj._repr_html_())
    else:
        print(obj.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0))
