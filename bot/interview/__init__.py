"""The guided loop interview: questions as data, a state machine, the diagnosis and the diagram."""
