# A private GKE cluster with one node pool per role: system, gateways (role websocket), consumers. Nodes carry
# the label rooms/pool=<pool>, which the chart's nodeSelector uses (module stand: chart_values).
resource "google_container_cluster" "this" {
  name                = var.name
  project             = var.project_id
  location            = var.location
  deletion_protection = var.deletion_protection

  # The default pool is replaced by the pools below.
  remove_default_node_pool = true
  initial_node_count       = 1

  network         = var.network
  subnetwork      = var.subnetwork
  networking_mode = "VPC_NATIVE"
  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  release_channel {
    channel = var.stand == "prod" ? "STABLE" : "REGULAR"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.master_ipv4_cidr_block
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.master_authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  # Kubernetes RBAC may name Google Groups, members of this one.
  authenticator_groups_config {
    security_group = var.rbac_security_group
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  enable_legacy_abac          = false
  enable_shielded_nodes       = true
  enable_intranode_visibility = true

  network_policy {
    enabled  = true
    provider = "CALICO"
  }
  addons_config {
    network_policy_config {
      disabled = false
    }
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  logging_service    = "logging.googleapis.com/kubernetes"
  monitoring_service = "monitoring.googleapis.com/kubernetes"

  resource_labels = {
    app   = "rooms"
    stand = var.stand
  }

  # The default pool's config, for the moment it exists: as hardened as the real pools.
  node_config {
    image_type = "COS_CONTAINERD"
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }
  }
}

resource "google_container_node_pool" "pool" {
  for_each = var.node_pools

  name     = each.value.name
  project  = var.project_id
  location = var.location
  cluster  = google_container_cluster.this.name

  # Counts for the whole pool, over all of a regional cluster's zones.
  autoscaling {
    total_min_node_count = each.value.min_nodes
    total_max_node_count = each.value.max_nodes
    location_policy      = "BALANCED"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  # One node at a time: with required anti-affinity a surge node is where the moved pod goes.
  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type = each.value.machine_type
    disk_size_gb = each.value.disk_gb
    disk_type    = "pd-balanced"
    image_type   = "COS_CONTAINERD"
    labels = {
      "rooms/pool" = each.key
      "rooms/role" = each.value.role
    }
    resource_labels = {
      app   = "rooms"
      stand = var.stand
    }
    oauth_scopes = ["https://www.googleapis.com/auth/cloud-platform"]
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }
  }
}
