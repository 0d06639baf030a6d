"""The Streamlit interface of collection-lab: presentation only (no model logic, statistics or processes).

``app.py`` lays out the page; :mod:`ui.setup` is the set-up panel, :mod:`ui.link` the links that reproduce
a comparison, :mod:`ui.run` runs it through :mod:`sim.service`, :mod:`ui.outcomes` holds every outcome's
label, format and explanation, :mod:`ui.texts` the explanatory texts, :mod:`ui.charts` the shared chart
helpers, and :mod:`ui.tabs` one module per tab.
"""
