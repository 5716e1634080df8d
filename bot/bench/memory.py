"""Memory, measured: this process's peak RSS, a `serve` process's RSS, and `bench memory` (RSS of one serving
process at idle and after it has loaded a team's indexed corpus)."""
