"""One module per tab of the results area; each has ``show(res)`` (Learn: ``show()``)."""
