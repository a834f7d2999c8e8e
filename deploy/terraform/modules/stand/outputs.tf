output "stand" {
  description = "The stand (dev or prod), validated."
  value       = var.stand
}

output "name" {
  description = "The cluster's name: <prefix>-<stand>."
  value       = local.name
}

output "namespace" {
  description = "The Kubernetes namespace of the release."
  value       = local.name
}

output "regional" {
  description = "Whether the cluster spans the region's zones (prod) or one zone (dev)."
  value       = local.base.regional
}

output "location" {
  description = "The cluster's location: the region, or its first zone for a zonal cluster."
  value       = local.base.regional ? var.region : "${var.region}-b"
}

output "deletion_protection" {
  description = "Whether the cluster refuses to be destroyed."
  value       = local.base.deletion_protection
}

output "node_pools" {
  description = "Per pool: name, machine type, node counts (for the whole pool, over its zones), disk, and the role its nodes are labelled for."
  value = {
    for name, pool in local.pools : name => merge(pool, {
      name = "${local.name}-${name}"
      role = name == "gateways" ? "websocket" : (name == "consumers" ? "consumer" : "system")
    })
  }

  precondition {
    condition     = alltrue([for p in values(local.pools) : p.min_nodes <= p.max_nodes])
    error_message = "A node pool's min_nodes exceeds its max_nodes."
  }
}

output "chart_values" {
  description = "Values for the rooms chart that follow from the sizing (over values-<stand>.yaml)."
  value = {
    antiAffinity = local.base.anti_affinity
    websocket = {
      replicas     = local.base.gateway_min_replicas
      nodeSelector = { "rooms/pool" = "gateways" }
      autoscaling = {
        enabled     = var.stand == "prod"
        minReplicas = local.base.gateway_min_replicas
        maxReplicas = local.gateway_max_replicas
      }
    }
    consumer = {
      replicas     = local.base.consumer_replicas
      nodeSelector = { "rooms/pool" = "consumers" }
    }
  }

  # With required anti-affinity a gateway beyond the pool's largest size could never be scheduled.
  precondition {
    condition     = local.base.anti_affinity != "required" || local.gateway_max_replicas <= local.pools.gateways.max_nodes
    error_message = "gateway_max_replicas exceeds the nodes the gateways pool can have: with required anti-affinity the extra gateways would stay Pending."
  }
  precondition {
    condition     = local.gateway_max_replicas >= local.base.gateway_min_replicas
    error_message = "gateway_max_replicas is below the stand's minimum number of gateways."
  }
}
