"""One look for every chart in the course: large text, high contrast, and colours that colour-blind readers
can tell apart (the Okabe-Ito palette), so that charts stay readable when projected in a teach-in.

    from playbook.charts import house_style
    house_style()                      # once, at the top of a notebook
"""

import matplotlib as mpl
from cycler import cycler

# Okabe and Ito's colour-blind-safe palette, darkest first; each has at least 3:1 contrast on white
# except the yellow, which is kept last and should only fill bars, never carry text.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#F0E442"]
TEXT = "#0b0c0c"  # GOV.UK text colour


def house_style() -> None:
    """Set matplotlib defaults for the course: readable sizes, dark text, a light grid and stable output."""
    mpl.rcParams.update(
        {
            "figure.figsize": (8, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 12,
            "axes.titlesize": 14,
            "axes.labelsize": 12,
            "axes.edgecolor": TEXT,
            "axes.labelcolor": TEXT,
            "axes.prop_cycle": cycler(color=PALETTE),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.axisbelow": True,
            "grid.color": "#b1b4b6",
            "grid.linewidth": 0.6,
            "xtick.color": TEXT,
            "ytick.color": TEXT,
            "text.color": TEXT,
            "legend.frameon": False,
            "svg.hashsalt": "playbook",  # stable SVG ids, so stored outputs do not change between runs
        }
    )
