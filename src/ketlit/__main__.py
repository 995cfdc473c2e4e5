"""`python -m ketlit` entry point."""

from ketlit.cli import main

if __name__ == "__main__":
    main()
