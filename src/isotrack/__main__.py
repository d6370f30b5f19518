from isotrack.cli import main

main()
