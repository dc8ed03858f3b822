"""Model tests: YAML files an analyst keeps beside a BPMN, run on a throwaway database (`phva test-model`)."""
