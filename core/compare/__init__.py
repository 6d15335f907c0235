"""Compare: stored runs side by side.

* ``groups``  runs, filters, groups of samples and every comparison between them
* ``charts``  the chart registry: each view's charts and the data frames behind them
"""
