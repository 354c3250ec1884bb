from prcheck.cli import main

main()
