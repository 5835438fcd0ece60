"""The command line and the files it writes: summary JSON, the HTML report, safe CSV downloads, kept answers."""
