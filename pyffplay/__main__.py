from pyffplay.cli import main

raise SystemExit(main())
