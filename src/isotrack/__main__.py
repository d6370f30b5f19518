from isotrack.entry import run

run()
