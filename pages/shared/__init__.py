"""What the pages share, by what it owns: base (the view), access (cached data), widgets, snapshot_view,
sidebar, render."""
