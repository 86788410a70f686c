"""``python -m policykg`` runs the command line."""

from policykg.cli.main import main

if __name__ == "__main__":
    main()
