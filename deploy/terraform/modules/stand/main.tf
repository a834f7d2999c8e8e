locals {
  # Sizing per stand. Every rooms role has required pod anti-affinity on kubernetes.io/hostname in prod (one pod
  # of a role per node), so a role's pool needs at least as many nodes as the role has replicas.
  sizing = {
    dev = {
      regional = false
      pools = {
        system    = { machine_type = "e2-standard-2", min_nodes = 1, max_nodes = 2, disk_gb = 50 }
        gateways  = { machine_type = "e2-standard-2", min_nodes = 1, max_nodes = 2, disk_gb = 50 }
        consumers = { machine_type = "e2-standard-2", min_nodes = 1, max_nodes = 2, disk_gb = 50 }
      }
      gateway_min_replicas = 1
      gateway_max_replicas = 2
      consumer_replicas    = 1
      anti_affinity        = "preferred"
      deletion_protection  = false
    }
    prod = {
      regional = true
      pools = {
        system    = { machine_type = "e2-standard-4", min_nodes = 2, max_nodes = 3, disk_gb = 100 }
        gateways  = { machine_type = "c2d-standard-4", min_nodes = 3, max_nodes = 12, disk_gb = 100 }
        consumers = { machine_type = "e2-standard-4", min_nodes = 3, max_nodes = 6, disk_gb = 100 }
      }
      gateway_min_replicas = 3
      gateway_max_replicas = 12
      consumer_replicas    = 3
      anti_affinity        = "required"
      deletion_protection  = true
    }
  }

  base = local.sizing[var.stand]

  pools = {
    for name, pool in local.base.pools : name => merge(pool, {
      for k, v in try(var.node_pool_overrides[name], {}) : k => v if v != null
    })
  }

  gateway_max_replicas = coalesce(var.gateway_max_replicas, local.base.gateway_max_replicas)
  name                 = "${var.name_prefix}-${var.stand}"
}
