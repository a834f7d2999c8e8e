# tofu test: the stand module's logic, offline (no provider). Each run plans the module with its variables.

variables {
  region = "europe-west1"
}

run "dev_is_small_zonal_and_spread_when_possible" {
  command = plan
  variables {
    stand = "dev"
  }

  assert {
    condition     = output.name == "rooms-dev" && output.namespace == "rooms-dev"
    error_message = "dev names: ${output.name}, ${output.namespace}"
  }
  assert {
    condition     = !output.regional && output.location == "europe-west1-b"
    error_message = "dev must be one zone, got ${output.location}"
  }
  assert {
    condition     = output.node_pools.gateways.max_nodes == 2 && output.node_pools.consumers.min_nodes == 1
    error_message = "dev pool sizes"
  }
  assert {
    condition     = output.chart_values.antiAffinity == "preferred" && !output.chart_values.websocket.autoscaling.enabled
    error_message = "dev: preferred anti-affinity, no autoscaling"
  }
  assert {
    condition     = !output.deletion_protection
    error_message = "dev can be destroyed"
  }
}

run "prod_is_regional_with_a_node_per_gateway" {
  command = plan
  variables {
    stand = "prod"
  }

  assert {
    condition     = output.name == "rooms-prod" && output.regional && output.location == "europe-west1"
    error_message = "prod is regional: ${output.location}"
  }
  assert {
    condition     = output.node_pools.gateways.min_nodes == 3 && output.node_pools.gateways.max_nodes == 12
    error_message = "prod gateways pool 3..12"
  }
  assert {
    condition     = output.chart_values.antiAffinity == "required" && output.chart_values.websocket.autoscaling.maxReplicas <= output.node_pools.gateways.max_nodes
    error_message = "prod: required anti-affinity and no more gateways than gateway nodes"
  }
  assert {
    condition     = output.node_pools.gateways.name == "rooms-prod-gateways" && output.node_pools.gateways.role == "websocket"
    error_message = "pool names and roles"
  }
  assert {
    condition     = output.chart_values.consumer.replicas == 3 && output.chart_values.consumer.replicas <= output.node_pools.consumers.min_nodes
    error_message = "prod consumers fit their pool's minimum"
  }
  assert {
    condition     = output.deletion_protection
    error_message = "prod is protected from destroy"
  }
}

run "overrides_change_only_what_they_name" {
  command = plan
  variables {
    stand               = "prod"
    name_prefix         = "chat"
    node_pool_overrides = { gateways = { max_nodes = 20 } }
  }

  assert {
    condition     = output.name == "chat-prod" && output.node_pools.gateways.max_nodes == 20 && output.node_pools.gateways.min_nodes == 3
    error_message = "override of max_nodes only"
  }
  assert {
    condition     = output.node_pools.gateways.machine_type == "c2d-standard-4"
    error_message = "the machine type stays"
  }
}

run "an_unknown_stand_is_refused" {
  command = plan
  variables {
    stand = "staging"
  }
  expect_failures = [var.stand]
}

run "a_bad_region_is_refused" {
  command = plan
  variables {
    stand  = "dev"
    region = "Europe West"
  }
  expect_failures = [var.region]
}

run "a_bad_name_prefix_is_refused" {
  command = plan
  variables {
    stand       = "dev"
    name_prefix = "Rooms_"
  }
  expect_failures = [var.name_prefix]
}

run "an_unknown_pool_is_refused" {
  command = plan
  variables {
    stand               = "dev"
    node_pool_overrides = { gpu = { max_nodes = 1 } }
  }
  expect_failures = [var.node_pool_overrides]
}

run "more_gateways_than_gateway_nodes_is_refused_in_prod" {
  command = plan
  variables {
    stand                = "prod"
    gateway_max_replicas = 13
  }
  expect_failures = [output.chart_values]
}

run "min_above_max_nodes_is_refused" {
  command = plan
  variables {
    stand               = "dev"
    node_pool_overrides = { system = { min_nodes = 3 } }
  }
  expect_failures = [output.node_pools]
}
