"""The interpreter: runs functions the compiler engine cannot translate."""
