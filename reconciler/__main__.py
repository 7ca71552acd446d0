from reconciler.cli import main
import sys

sys.exit(main())
