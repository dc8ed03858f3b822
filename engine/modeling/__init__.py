"""Definitions: parse and validate BPMN, DMN and forms, translate Camunda expressions, version by content."""
