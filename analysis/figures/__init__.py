"""Plotly figure builders, one module per family of views: DataFrame in, go.Figure out, no Streamlit.

`base` holds the one palette (each outcome keeps its colour on every chart) and the shared layout.
"""
