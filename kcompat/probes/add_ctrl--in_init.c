/*
 * Up to 6.9: nvme_init_ctrl() adds the device itself.  This compiles only
 * where the ABI header declares no nvme_add_ctrl(): the deliberately
 * different declaration below would conflict with a real one.
 */
#include "nvme-host-abi.h"
int nvme_add_ctrl(int kc_not_a_kernel_function);
