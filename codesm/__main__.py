from codesm.cli import main

main()
