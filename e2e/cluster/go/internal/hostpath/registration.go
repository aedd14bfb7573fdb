package hostpath

import (
	"context"
	"log/slog"

	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// SupportedCSIVersions is what the kubelet is told this plugin speaks.
var SupportedCSIVersions = []string{"1.0.0"}

// registrationServer is the kubelet plugin registration API that node-driver-registrar would
// otherwise serve: the kubelet's plugin watcher sees <name>-reg.sock appear in its
// plugins_registry directory, asks GetInfo, and then talks CSI to Endpoint.
type registrationServer struct {
	registerapi.UnimplementedRegistrationServer
	name     string
	endpoint string
	log      *slog.Logger
}

func (s *registrationServer) GetInfo(context.Context, *registerapi.InfoRequest) (*registerapi.PluginInfo, error) {
	return &registerapi.PluginInfo{
		Type:              registerapi.CSIPlugin,
		Name:              s.name,
		Endpoint:          s.endpoint,
		SupportedVersions: SupportedCSIVersions,
	}, nil
}

func (s *registrationServer) NotifyRegistrationStatus(_ context.Context, st *registerapi.RegistrationStatus) (*registerapi.RegistrationStatusResponse, error) {
	if st.GetPluginRegistered() {
		s.log.Info("registered with the kubelet", "driver", s.name)
	} else {
		s.log.Error("kubelet refused the registration", "driver", s.name, "error", st.GetError())
	}
	return &registerapi.RegistrationStatusResponse{}, nil
}
