from prcheck.cli_entry import main

main()
