from cnnbench.cli.app import main

main()
