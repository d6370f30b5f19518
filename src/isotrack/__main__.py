from isotrack.entry import main

main()
