// EventGenerator
